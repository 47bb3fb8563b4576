# Dutch style: "2 dec. 2026", "2 dec. 2026 14:05". The other formats are Django's.
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
