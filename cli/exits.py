"""Exit codes of every `jssync` command (a Cloud Run Job reads only the code)."""

EXIT_OK = 0  # completed (single ASIN failures are reported, not fatal)
EXIT_FAILED = 1  # stopped early, or the command could not do its work
EXIT_CONFIG = 2  # invalid configuration: nothing was touched
EXIT_BUSY = 3  # another sync holds the one-sync lock
