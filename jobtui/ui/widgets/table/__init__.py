"""The tables every tab shows: rows as data, and the widget that draws them."""
