"""Register sources: each reads one kind of input and yields normalised records
(integrations.records) and SourceIssues, streaming, with bounded memory."""
