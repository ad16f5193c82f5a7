"""paperbot's brain. Nothing here imports discord: the CLI, the bot and the tests call the
same operations and receive the same plain results.

Each subpackage builds only on the ones listed before it (tests/test_architecture.py keeps
it so):

    text/      two languages in two scripts: scripts, tokens, sentences, glossary, dictionary
    papers/    the list itself: a paper and its table row, arXiv IDs, the inbox, arXiv's API, topics
    models/    the language model, the embedding models, and what their calls cost
    store/     where papers are kept and indexed: Chroma, the catalog, ingest, the lexical index
    search/    a question read once, and the papers that answer it
    claims/    every sentence of an answer checked against the papers it cites
    answers/   the operations (ask, summarize, compare, recommend, digest) and what the model writes
    pictures/  the charts
    people.py  votes, saved papers and follows
    follows.py which new papers a follower's weekly DM holds
    club/      the paper club: nominations, the vote, the discussion, what the group concluded
    engine.py  builds all of the above once, from the config

beside the basics every floor may use: config.py (settings), records.py (paperbot's one
SQLite file, migrations/), files.py (atomic writes, the disposable caches), logs.py, outages.py.
"""
