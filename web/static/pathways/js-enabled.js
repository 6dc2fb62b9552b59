// Runs first thing in <body>: lets GOV.UK Frontend's CSS know JavaScript is available.
// (A file, not an inline script, so the Content-Security-Policy can forbid inline scripts.)
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
