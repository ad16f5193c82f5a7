"""paperbot's brain: the paper table, the knowledge base, retrieval and answers.

Nothing in this package imports discord: the CLI, the bot and the tests all call the
same operations and receive the same plain results.
"""
