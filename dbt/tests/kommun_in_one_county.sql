-- Every kommun belongs to exactly one län, and its code starts with that länskod.
select municipality_code
from {{ ref('dim_municipality') }}
group by municipality_code
having count(distinct county_code) <> 1
    or min(left(municipality_code, 2)) <> min(county_code)
