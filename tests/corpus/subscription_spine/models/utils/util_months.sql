{{ month_spine(ref('raw_subscriptions'), 'start_date', 'coalesce(end_date, start_date)') }}
