"""Jobs and where they wait: the embedded SQLite backend (the default) and Redis + arq (scaled
out), each a queue and a store behind the protocols in `jobs` and `store`."""
