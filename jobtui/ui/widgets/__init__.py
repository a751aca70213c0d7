"""Widgets of the dashboard: the record table and its tabs, the bars, the log view.

Widgets only draw and ask: a key posts a typed message, and the screen acts.
"""
