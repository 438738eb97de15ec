"""Action items: queries, forms, routes and export."""
