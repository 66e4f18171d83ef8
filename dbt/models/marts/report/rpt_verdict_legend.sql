-- The words of every verdict, for the report's legends and method text (issue 26): one row per verdict
-- code the marts write, with the kind of rule behind it ('test': z-test with Benjamini–Hochberg in the
-- year's family; 'tröskel': minimal important change, no test), the label and the legend sentence.
-- The words live once, in the seed verdict_labels; the FDR level comes from var verdict_fdr.
select
    cast(verdict_group as varchar) as verdict_group,
    cast(code as varchar) as code,
    cast(kind as varchar) as kind,
    cast(sort_order as integer) as sort_order,
    cast(label_sv as varchar) as label_sv,
    cast(legend_sv as varchar) as legend_sv,
    cast({{ var('verdict_fdr') }} as double) as fdr
from {{ ref('verdict_labels') }}
