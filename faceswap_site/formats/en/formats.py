# English short dates as the site has always shown them ("7 Dec 2026, 14:05"), not Django's American
# default; Chinese and Japanese use Django's own formats. Settings: FORMAT_MODULE_PATH.
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
