"""The four Savivalda services and the `savivalda` command that runs them."""
