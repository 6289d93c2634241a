"""`make bench`: this service against the Go design it replaces, measured side by side in one run.

Parts: writes (the write path), api (the API phase at the rate limit), memory (master sync
peak RSS); report formats the results; go_design.sql holds the Go design's statements.
"""
