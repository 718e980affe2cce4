"""Deconfliction: targets an agency watches, and alerts when another organisation touches one."""
