"""Interactive graph views for policy staff: a pure view model (model.py, views.py) drawn with pyvis (render.py)."""
