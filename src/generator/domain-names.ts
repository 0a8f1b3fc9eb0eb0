/**
 * Names a LAN actually resolves: big CDNs, SaaS, OS update and telemetry endpoints. Web
 * sessions pick from WEB_NAMES (weighted towards the head: a few sites dominate real traffic).
 */
export const WEB_NAMES = [
  'www.google.com', 'fonts.gstatic.com', 'www.youtube.com', 'i.ytimg.com', 'api.github.com',
  'github.com', 'objects.githubusercontent.com', 'www.wikipedia.org', 'en.wikipedia.org',
  'upload.wikimedia.org', 'outlook.office365.com', 'login.microsoftonline.com', 'graph.microsoft.com',
  'teams.microsoft.com', 'www.amazon.com', 'm.media-amazon.com', 'slack.com', 'edgeapi.slack.com',
  'cdn.jsdelivr.net', 'cdnjs.cloudflare.com', 'registry.npmjs.org', 'pypi.org', 'files.pythonhosted.org',
  'deb.debian.org', 'security.ubuntu.com', 'archive.ubuntu.com', 'www.bbc.co.uk', 'static.xx.fbcdn.net',
  'www.reddit.com', 'stackoverflow.com', 'cdn.sstatic.net', 'docs.google.com', 'drive.google.com',
  'mail.google.com', 'accounts.google.com', 'www.gstatic.com', 'ssl.gstatic.com', 'update.googleapis.com',
  'www.apple.com', 'gateway.icloud.com', 'swscan.apple.com', 'ocsp.digicert.com', 'ctldl.windowsupdate.com',
  'settings-win.data.microsoft.com', 'v10.events.data.microsoft.com', 'zoom.us', 'www.dropbox.com',
  'api.spotify.com', 'www.netflix.com', 'occ-0-1-2.1.nflxso.net',
] as const;

/** Plain-HTTP (port 80) hosts: OCSP, package mirrors and captive-portal checks still use it. */
export const HTTP_NAMES = [
  'ocsp.digicert.com', 'deb.debian.org', 'security.ubuntu.com', 'archive.ubuntu.com',
  'ctldl.windowsupdate.com', 'connectivitycheck.gstatic.com', 'detectportal.firefox.com', 'www.msftconnecttest.com',
] as const;

/** Local names resolved through the LAN resolver (printers, NAS, routers). */
export const LOCAL_NAMES = ['nas.lan', 'printer.lan', 'router.lan', 'wpad.lan', '_ipp._tcp.local'] as const;

export const HTTP_PATHS = [
  '/', '/index.html', '/favicon.ico', '/static/app.js', '/static/style.css', '/images/logo.png',
  '/api/v1/status', '/ubuntu/dists/jammy/InRelease', '/debian/dists/bookworm/Release',
  '/msdownload/update/v3/static/trustedr/en/authrootstl.cab', '/generate_204', '/success.txt', '/connecttest.txt',
] as const;

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Debian APT-HTTP/1.3 (2.6.1)',
  'Microsoft-CryptoAPI/10.0',
] as const;
