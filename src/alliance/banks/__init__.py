"""Hash banks shared across borders: categories, verification, signed distribution, matching."""
