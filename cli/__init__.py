"""The `jssync` command line: the top layer, above the flows (sync/), the HTTP layer (api/) and
the sandbox. Nothing below imports it."""
