"""The compile pipeline: recording and compiling bodies, framing, validation, output, and
the schema printer."""
