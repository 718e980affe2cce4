"""Notice and takedown: reports, content items, assessment, holds, notices, the worker's actions."""
