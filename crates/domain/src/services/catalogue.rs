//! What a number can buy, asked of the provider live: its price list and, for a postpaid
//! number, what it owes. Nothing is cached here: a shopper browsing sees the provider's
//! answer of now (new orders are priced by `OrderService`, which may reuse a recent list).

use std::sync::Arc;

use crate::msisdn::Msisdn;
use crate::ports::{PostpaidBill, PriceList, TopUpProvider};

use super::ServiceError;

pub struct TopUpCatalogue {
    provider: Arc<dyn TopUpProvider>,
}

impl TopUpCatalogue {
    pub fn new(provider: Arc<dyn TopUpProvider>) -> Self {
        TopUpCatalogue { provider }
    }

    pub async fn price_list(&self, msisdn: &Msisdn) -> Result<PriceList, ServiceError> {
        Ok(self.provider.price_list(msisdn).await?)
    }

    pub async fn postpaid_bill(&self, msisdn: &Msisdn) -> Result<PostpaidBill, ServiceError> {
        Ok(self.provider.postpaid_bill(msisdn).await?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::money::Mnt;
    use crate::ports::{MockTopUpProvider, ProviderError};
    use crate::testing::MSISDN;

    fn msisdn() -> Msisdn {
        Msisdn::parse(MSISDN).unwrap()
    }

    #[tokio::test]
    async fn the_price_list_is_the_providers_answer_for_the_number() {
        let mut provider = MockTopUpProvider::new();
        provider
            .expect_price_list()
            .withf(|number| *number == msisdn())
            .returning(|_| {
                Ok(PriceList {
                    products: Vec::new(),
                    raw: json!({"servicetype": "prepaid"}),
                })
            });
        let list = TopUpCatalogue::new(Arc::new(provider))
            .price_list(&msisdn())
            .await
            .unwrap();
        assert_eq!(list.raw, json!({"servicetype": "prepaid"}));
    }

    #[tokio::test]
    async fn the_bill_is_the_providers_answer_for_the_number() {
        let mut provider = MockTopUpProvider::new();
        provider
            .expect_postpaid_bill()
            .withf(|number| *number == msisdn())
            .returning(|_| {
                Ok(PostpaidBill {
                    total_unpaid: Mnt::new(74_220),
                    invoice_unpaid: Mnt::new(74_220),
                    invoice_amount: Mnt::new(74_220),
                    remain_amount: Mnt::new(0),
                    invoice_date: None,
                    invoice_status: None,
                    raw: json!({"total_unpaid": 74220}),
                })
            });
        let bill = TopUpCatalogue::new(Arc::new(provider))
            .postpaid_bill(&msisdn())
            .await
            .unwrap();
        assert_eq!(bill.total_unpaid, Mnt::new(74_220));
    }

    #[tokio::test]
    async fn a_refusal_is_the_callers_mistake_and_an_outage_is_upstream() {
        let mut provider = MockTopUpProvider::new();
        provider.expect_price_list().returning(|_| {
            Err(ProviderError::Rejected {
                code: "404".to_owned(),
                message: "unknown subscriber".to_owned(),
            })
        });
        provider
            .expect_postpaid_bill()
            .returning(|_| Err(ProviderError::Unavailable("timeout".to_owned())));
        let catalogue = TopUpCatalogue::new(Arc::new(provider));
        assert!(matches!(
            catalogue.price_list(&msisdn()).await,
            Err(ServiceError::Validation(_))
        ));
        assert!(matches!(
            catalogue.postpaid_bill(&msisdn()).await,
            Err(ServiceError::Upstream(_))
        ));
    }
}
