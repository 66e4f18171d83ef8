-- The three ordered education groups for SII/RII, from most to least disadvantaged, with each group's
-- population share. No population shares by education are landed yet, so every group weighs 1/3
-- (equal weights, as stated in the mart docs). Replace population_share here when shares exist;
-- mart_equity_gap normalises the shares and derives the ridit scores itself.
select
    cast(education as varchar) as education,
    cast(education_rank as integer) as education_rank,
    cast(population_share as double) as population_share,
    cast('lika vikter (befolkningsandelar saknas)' as varchar) as weighting
from (
    values
        ('förgymnasial', 1, 1.0 / 3),
        ('gymnasial', 2, 1.0 / 3),
        ('eftergymnasial', 3, 1.0 / 3)
) as groups (education, education_rank, population_share)
