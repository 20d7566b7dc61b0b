// Formatting helpers shared by the storefront pages.
const currency = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });

function formatPrice(cents) {
  return currency.format(cents / 100);
}

function formatDate(iso) {
  const date = new Date(iso);
  return date.toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric" });
}

module.exports = { formatPrice, formatDate };
