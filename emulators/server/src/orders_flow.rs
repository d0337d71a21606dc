//! The orders flow's tables for a tenant of these emulators, as the tests,
//! benches and the service tests write them: paid orders as invoices,
//! missing articles created, one books article per kind of cost line.

/// The `[flows.orders.settings.article]` entries: one article per kind of
/// cost line, for 21 % and for every other rate.
pub const COST_ARTICLES: &str = "shipping = { 21 = \"SHIPPING\", default = \"SHIPPING\" }\n\
    payment-fee = { 21 = \"PAYMENT-FEE\", default = \"PAYMENT-FEE\" }\n\
    discount = { 21 = \"DISCOUNT\", default = \"DISCOUNT\" }\ncoupon = { 21 = \"DISCOUNT\", default = \"DISCOUNT\" }\n\
    extra-cost = { 21 = \"EXTRA-COST\", default = \"EXTRA-COST\" }\n";

/// `[flows.orders]` with its settings and `COST_ARTICLES`, the shop as
/// `shop` and the books as `books` (as `tenant_connections` names them).
pub fn orders_flow() -> String {
    format!(
        "[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n\
         [flows.orders.settings.article]\n{COST_ARTICLES}"
    )
}
