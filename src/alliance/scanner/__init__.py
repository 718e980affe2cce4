"""The on-premise scanner for industry: hash files locally, match against synced banks."""
