"""Partners: foreign-partner profiles, explained matching, introductions and partnerships."""
