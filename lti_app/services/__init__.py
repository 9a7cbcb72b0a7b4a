"""Application services: the logic between routes and the pure packages. They never commit."""
