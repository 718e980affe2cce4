"""The awareness and best-practice library (issue 16, part 6).

Members describe what they did to inform the public (campaigns, practices, guidance,
training, research); the secretariat publishes entries; published entries are public; a
member marks another's entry as adopted, with notes. ``entries.py`` writes, ``search.py``
reads with the database's own full-text engine, ``exchange.py`` imports and exports,
``feed.py`` writes the Atom feed.
"""
