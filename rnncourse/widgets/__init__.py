"""Widgets for the course; see each module. Imported on demand, never by `import rnncourse`."""
