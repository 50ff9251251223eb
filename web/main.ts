// The app's entry: registers the elements; index.html holds <umwelt-app>.
import './app/umwelt-app.ts';
