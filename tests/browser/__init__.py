"""End-to-end tests of webfig's pages in headless Chromium (Playwright)."""
