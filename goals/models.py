# Models arrive with this app's own issue; the app and its first migration exist from the
# foundation so that every later migration builds on a fixed label.
