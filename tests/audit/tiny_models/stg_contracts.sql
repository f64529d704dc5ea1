select
    contract_id,
    account_id,
    start_date,
    end_date,
    annual_value,
    type,
    status,
    type = 'pilot' as is_pilot
from raw_contracts
