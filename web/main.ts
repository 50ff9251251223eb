// The app's entry: index.html holds <umwelt-app>. `index.html?replay=URL` is the replay viewer's address too:
// it goes to replay.html with the same query.
const query = new URLSearchParams(location.search);
if (query.has('replay')) {
  location.replace(`replay.html${location.search}`);
} else {
  await import('./app/umwelt-app.ts');
}
