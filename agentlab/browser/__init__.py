"""The browser side: Debian's Chromium launched, pages settled, navigation kept inside, actions parsed safely."""
