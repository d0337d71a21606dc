//! `trestle:sync/transforms` as a flow imports it: each record through the
//! tenant's mapping module (`mapping`) when one is configured, else
//! unchanged. The Store holds the module behind `MapRecords`, so a Store's
//! state never depends on the module's own Store.

use crate::bindings::trestle::sync::transforms;
use crate::bindings::types::{Customer, Order, Product, StockLevel};

/// The four transforms, so a call can be written once for all of them.
// Each record is moved once per call; boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Record {
    Order(Order),
    Customer(Customer),
    Product(Product),
    Stock(StockLevel),
}

/// Maps one record; `Err` is a reason a shop owner can read (the record is
/// parked with it).
pub trait MapRecords: Send {
    fn apply(&mut self, record: Record) -> Result<Record, String>;
}

/// One Store's transforms: a flow's mapping module, if the tenant has one.
#[derive(Default)]
pub struct TransformsCapability {
    mapping: Option<Box<dyn MapRecords>>,
}

impl TransformsCapability {
    pub fn prepare(mapping: Option<Box<dyn MapRecords>>) -> Self {
        Self { mapping }
    }

    fn apply(&mut self, record: Record) -> Result<Record, String> {
        match self.mapping.as_mut() {
            Some(mapping) => mapping.apply(record),
            None => Ok(record),
        }
    }
}

link_interface!(transforms, TransformsCapability);

impl TransformsCapability {
    /// `record` through the mapping, and back to its own type with `back`.
    fn map<R>(&mut self, record: Record, back: fn(Record) -> Option<R>) -> wasmtime::Result<Result<R, String>> {
        Ok(self.apply(record).map(|r| back(r).expect("a mapping returns the kind it was given")))
    }
}

impl transforms::Host for TransformsCapability {
    fn map_order(&mut self, order: Order) -> wasmtime::Result<Result<Order, String>> {
        self.map(Record::Order(order), |r| if let Record::Order(o) = r { Some(o) } else { None })
    }

    fn map_customer(&mut self, customer: Customer) -> wasmtime::Result<Result<Customer, String>> {
        self.map(Record::Customer(customer), |r| if let Record::Customer(c) = r { Some(c) } else { None })
    }

    fn map_product(&mut self, product: Product) -> wasmtime::Result<Result<Product, String>> {
        self.map(Record::Product(product), |r| if let Record::Product(p) = r { Some(p) } else { None })
    }

    fn map_stock(&mut self, level: StockLevel) -> wasmtime::Result<Result<StockLevel, String>> {
        self.map(Record::Stock(level), |r| if let Record::Stock(s) = r { Some(s) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_order;

    /// Stands in for a module that upper-cases the billing country.
    struct Shout;

    impl MapRecords for Shout {
        fn apply(&mut self, record: Record) -> Result<Record, String> {
            match record {
                Record::Order(mut o) => {
                    o.billing_address.country_code = o.billing_address.country_code.to_uppercase();
                    Ok(Record::Order(o))
                }
                _ => Err("orders only".into()),
            }
        }
    }

    #[test]
    fn records_pass_unchanged_without_a_mapping_and_through_it_with_one() {
        use transforms::Host as _;
        let mut order = sample_order();
        order.billing_address.country_code = "se".into();
        let unchanged = TransformsCapability::default().map_order(order.clone()).unwrap().unwrap();
        assert_eq!(unchanged.billing_address.country_code, "se");
        let mut mapped = TransformsCapability::prepare(Some(Box::new(Shout)));
        let customer = order.customer.clone();
        assert_eq!(mapped.map_order(order).unwrap().unwrap().billing_address.country_code, "SE");
        assert_eq!(mapped.map_customer(customer).unwrap().unwrap_err(), "orders only");
    }
}
