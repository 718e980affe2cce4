"""Victim identification: series, media records, victims, seizure triage."""
