select
    customer.customer_id,
    customer.email,
    count(distinct invoice_net.invoice_id) as invoices,
    max(invoice_net.invoice_created_at) as last_invoice_at
from {{ ref('stg_billing__customer') }} as customer
left join {{ ref('int_billing__invoice_net') }} as invoice_net
    on customer.customer_id = invoice_net.customer_id
where not customer.is_deleted
group by 1, 2
