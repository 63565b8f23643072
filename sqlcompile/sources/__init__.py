"""Where revisions come from: script files, the recording `op`, the revision graph."""
