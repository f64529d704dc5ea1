select
    accounts.account_id,
    accounts.account_name,
    accounts.region,
    accounts.created_date,
    excluded.account_id is not null as is_excluded,
    excluded.reason as exclusion_reason
from {{ ref('stg_erp__accounts') }} as accounts
left join {{ ref('excluded_accounts') }} as excluded
    on accounts.account_id = excluded.account_id
