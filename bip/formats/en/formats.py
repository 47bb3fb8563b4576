# The same order as the Dutch pages: "2 Dec. 2026", "2 Dec. 2026 14:05".
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
