"""Report: pictures and pages for people: image grids and the run report."""
