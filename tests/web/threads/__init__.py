"""The opened thread over real HTTP and in headless Chromium: detail levels, live actions,
attachments, the image proxy and hostile mail (gpanel/web/threads/)."""
