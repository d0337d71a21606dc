//! What identifies a record is the source's, not a mapping's: the flows look
//! a record up in the target by it (an order's number is our reference on
//! the invoice), so a mapping that changed it would book order 1001 under
//! 1002's reference and make the next run write 1001 again.

use super::{Record, shown};

/// `Err` names each identity field the mapping changed, from what to what.
pub fn unchanged(input: &Record, output: &Record) -> Result<(), String> {
    let pairs: Vec<(&str, &str, &str)> = match (input, output) {
        (Record::Order(a), Record::Order(b)) => {
            vec![("source_id", &a.source_id, &b.source_id), ("order_number", &a.order_number, &b.order_number)]
        }
        (Record::Customer(a), Record::Customer(b)) => vec![("source_id", &a.source_id, &b.source_id)],
        (Record::Product(a), Record::Product(b)) => vec![("sku", &a.sku, &b.sku)],
        (Record::Stock(a), Record::Stock(b)) => vec![("sku", &a.sku, &b.sku)],
        _ => return Err("it returned a record of another kind".into()),
    };
    let changed: Vec<String> = pairs
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| format!("{field} from {} to {}", shown(before), shown(after)))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let fields: Vec<&str> = pairs.iter().map(|(field, _, _)| *field).collect();
    Err(format!(
        "it changed {}, but a mapping may not change what identifies the record ({}): it is how the target finds \
         the record again",
        changed.join(" and "),
        fields.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_order;

    #[test]
    fn every_changed_identity_field_is_named() {
        let input = Record::Order(sample_order());
        let mut order = sample_order();
        order.order_number = "WEB-1002".into();
        order.source_id = "1002".into();
        let err = unchanged(&input, &Record::Order(order)).unwrap_err();
        assert!(
            err.contains(r#"source_id from "1001" to "1002" and order_number from "WEB-1001" to "WEB-1002""#),
            "{err}"
        );
        let mut order = sample_order();
        order.note = Some("changed".into());
        assert_eq!(unchanged(&input, &Record::Order(order)), Ok(()));
    }
}
