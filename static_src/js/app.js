// Start NHS.UK components. Everything on the site works without this file; it only enhances.
initAll();
