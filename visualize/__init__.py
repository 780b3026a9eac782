"""Interactive graph views (pyvis). Not built yet: see the visualisation issue."""
