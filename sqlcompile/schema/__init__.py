"""The schema model: the database at each revision, rebuilt by replaying the history."""
