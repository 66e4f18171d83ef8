-- No county × målområde × year row is missing from the national picture.
select year, count(*) as n
from {{ ref('mart_national_picture') }}
group by year
having count(*) <> 21 * 8
