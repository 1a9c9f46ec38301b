//! A mall order as its rows: `mall_orders` (the receiver's phone sealed with the keyring,
//! what is only read back as JSON) and one `mall_order_items` row per line.

use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::ports::RepositoryError;
use elife_domain::trade::orders::{
    AddressSnapshot, ChinaMobile, MallOrder, MallOrderItem, OrderTotals,
};
use elife_personal_data::Keyring;
use sea_orm::ActiveValue::{NotSet, Set};
use serde::{Deserialize, Serialize};

use super::entities::{mall_order_items as items, mall_orders as orders};
use super::json::{from_json, opt_from_json, opt_json, to_json};
use crate::error::corrupt;
use crate::time::{from_db, to_db};

/// The associated data of receiver phone ciphers: a value sealed for another field does
/// not open as this one.
const PHONE_CONTEXT: &str = "mall_orders.receiver_phone";

/// The address without its phone, which has columns of its own.
#[derive(Debug, Serialize, Deserialize)]
struct StoredAddress {
    receiver: String,
    province: String,
    city: String,
    district: String,
    detail: String,
}

/// The columns a change may write (everything but the key, buyer, items and address).
pub(crate) struct Progress {
    pub payment: Option<String>,
    pub returned_payments: String,
    pub cancellation: Option<String>,
    pub shipment: Option<String>,
    pub receipt: Option<String>,
}

pub(crate) fn progress(order: &MallOrder) -> Result<Progress, RepositoryError> {
    let what = |field: &str| format!("order {}: {field}", order.order_no);
    Ok(Progress {
        payment: opt_json(&what("payment"), order.payment.as_ref())?,
        returned_payments: to_json(&what("returned payments"), &order.returned_payments)?,
        cancellation: opt_json(&what("cancellation"), order.cancellation.as_ref())?,
        shipment: opt_json(&what("shipment"), order.shipment.as_ref())?,
        receipt: opt_json(&what("receipt"), order.receipt.as_ref())?,
    })
}

pub(crate) fn new_rows(
    order: &MallOrder,
    keyring: &Keyring,
) -> Result<(orders::ActiveModel, Vec<items::ActiveModel>), RepositoryError> {
    let address = &order.address;
    let stored = StoredAddress {
        receiver: address.receiver.clone(),
        province: address.province.clone(),
        city: address.city.clone(),
        district: address.district.clone(),
        detail: address.detail.clone(),
    };
    let (key_id, cipher) = keyring.seal(address.phone.as_str(), PHONE_CONTEXT);
    let progress = progress(order)?;
    let row = orders::ActiveModel {
        order_no: Set(order.order_no.to_string()),
        buyer: Set(order.buyer.as_str().to_owned()),
        status: Set(order.status.as_str().to_owned()),
        version: Set(i64::from(order.version)),
        goods_fen: Set(order.totals.goods.value()),
        discount_fen: Set(order.totals.discount.value()),
        freight_fen: Set(order.totals.freight.value()),
        pay_fen: Set(order.totals.pay.value()),
        pay_order: Set(order.pay_order.to_string()),
        pay_deadline: Set(to_db(order.pay_deadline)),
        address: Set(to_json("address", &stored)?),
        receiver_phone_masked: Set(address.phone.masked()),
        receiver_phone_cipher: Set(cipher),
        receiver_phone_key_id: Set(key_id),
        payment: Set(progress.payment),
        returned_payments: Set(progress.returned_payments),
        cancellation: Set(progress.cancellation),
        shipment: Set(progress.shipment),
        auto_confirm_at: Set(order.auto_confirm_at.map(to_db)),
        receipt: Set(progress.receipt),
        created_at: Set(to_db(order.created_at)),
        updated_at: Set(to_db(order.updated_at)),
    };
    let lines = order
        .items
        .iter()
        .map(|item| items::ActiveModel {
            id: NotSet,
            order_no: Set(order.order_no.to_string()),
            line: Set(i64::from(item.line)),
            product_id: Set(item.product_id),
            sku_id: Set(item.sku_id),
            name: Set(item.name.clone()),
            spec: Set(item.spec.clone()),
            image: Set(item.image.clone()),
            unit_price_fen: Set(item.unit_price.value()),
            quantity: Set(i64::from(item.quantity)),
            pay_price_fen: Set(item.pay_price.value()),
        })
        .collect();
    Ok((row, lines))
}

fn small<T: TryFrom<i64>>(what: &str, value: i64) -> Result<T, RepositoryError> {
    T::try_from(value).map_err(|_| corrupt(what, value))
}

fn item_from_row(row: items::Model) -> Result<MallOrderItem, RepositoryError> {
    Ok(MallOrderItem {
        line: small("order item line", row.line)?,
        product_id: row.product_id,
        sku_id: row.sku_id,
        name: row.name,
        spec: row.spec,
        image: row.image,
        unit_price: Fen::new(row.unit_price_fen),
        quantity: small("order item quantity", row.quantity)?,
        pay_price: Fen::new(row.pay_price_fen),
    })
}

/// The order of `row` with its `lines` (in line order).
pub(crate) fn order_from_rows(
    row: orders::Model,
    lines: Vec<items::Model>,
    keyring: &Keyring,
) -> Result<MallOrder, RepositoryError> {
    let order_no = OrderNumber::parse(&row.order_no)
        .map_err(|_| corrupt("mall order number", &row.order_no))?;
    let what = |field: &str| format!("order {order_no}: {field}");
    let plaintext = keyring
        .open(
            &row.receiver_phone_key_id,
            &row.receiver_phone_cipher,
            PHONE_CONTEXT,
        )
        .map_err(|error| corrupt(&what("receiver phone"), error))?;
    // Never the value in the message: a corrupt row must not leak into the logs.
    let phone = ChinaMobile::parse(&plaintext)
        .map_err(|_| RepositoryError::Corrupt(what("the stored receiver phone is malformed")))?;
    let stored: StoredAddress = from_json(&what("address"), &row.address)?;
    Ok(MallOrder {
        buyer: OpenId::parse(&row.buyer).map_err(|_| RepositoryError::Corrupt(what("buyer")))?,
        items: lines
            .into_iter()
            .map(item_from_row)
            .collect::<Result<_, _>>()?,
        address: AddressSnapshot {
            receiver: stored.receiver,
            phone,
            province: stored.province,
            city: stored.city,
            district: stored.district,
            detail: stored.detail,
        },
        totals: OrderTotals {
            goods: Fen::new(row.goods_fen),
            discount: Fen::new(row.discount_fen),
            freight: Fen::new(row.freight_fen),
            pay: Fen::new(row.pay_fen),
        },
        status: row
            .status
            .parse()
            .map_err(|_| corrupt(&what("status"), &row.status))?,
        pay_order: OrderNumber::parse(&row.pay_order)
            .map_err(|_| corrupt(&what("pay order"), &row.pay_order))?,
        pay_deadline: from_db(row.pay_deadline),
        payment: opt_from_json(&what("payment"), row.payment.as_deref())?,
        returned_payments: from_json(&what("returned payments"), &row.returned_payments)?,
        cancellation: opt_from_json(&what("cancellation"), row.cancellation.as_deref())?,
        shipment: opt_from_json(&what("shipment"), row.shipment.as_deref())?,
        auto_confirm_at: row.auto_confirm_at.map(from_db),
        receipt: opt_from_json(&what("receipt"), row.receipt.as_deref())?,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: small(&what("version"), row.version)?,
        order_no,
    })
}
