with

demographics as (

    select * from {{ ref('stg_instagram__audience_demographics') }}

),

-- Instagram's age ranges and genders onto the warehouse's (docs block audience_buckets)
age_ranges as (

    select * from (
        values
        ('13-17', '13-17'),
        ('18-24', '18-24'),
        ('25-34', '25-34'),
        ('35-44', '35-44'),
        ('45-54', '45-54'),
        ('55-64', '55-64'),
        ('65+', '65+')
    ) as age_map (platform_age_range, age_bucket)

),

genders as (

    select * from (
        values
        ('F', 'female'),
        ('M', 'male'),
        ('U', 'unknown')
    ) as gender_map (platform_gender, gender)

),

-- the age x gender breakdown (`18-24,F`) of the two audiences, timeframe this_month
age_gender as (

    select
        account_id,
        case metric_name
            when 'follower_demographics' then 'followers'
            when 'reached_audience_demographics' then 'reach'
        end as audience,
        _ds as snapshot_date,
        split_part(dimension_value, ',', 1) as platform_age_range,
        split_part(dimension_value, ',', 2) as platform_gender,
        audience_count,
        _extracted_at
    from demographics
    where
        dimension = 'age,gender'
        and timeframe = 'this_month'
        and metric_name in ('follower_demographics', 'reached_audience_demographics')

),

-- an audience's snapshot is the latest extraction of its `_ds`, taken whole: a
-- bucket that extraction withheld stays withheld even if an earlier one served it
latest_extraction as (

    select
        *,
        max(_extracted_at) over (
            partition by account_id, audience, snapshot_date
        ) as snapshot_extracted_at
    from age_gender

),

served as (

    select
        latest_extraction.account_id,
        latest_extraction.audience,
        latest_extraction.snapshot_date,
        latest_extraction.platform_age_range,
        latest_extraction.platform_gender,
        age_ranges.age_bucket,
        genders.gender,
        latest_extraction.audience_count,
        latest_extraction._extracted_at
    from latest_extraction
    left join age_ranges
        on latest_extraction.platform_age_range = age_ranges.platform_age_range
    left join genders
        on latest_extraction.platform_gender = genders.platform_gender
    where latest_extraction._extracted_at = latest_extraction.snapshot_extracted_at

),

snapshots as (

    select distinct
        account_id,
        audience,
        snapshot_date,
        _extracted_at
    from served

),

-- every bucket of every snapshot, served or not
grid as (

    select
        snapshots.account_id,
        snapshots.audience,
        snapshots.snapshot_date,
        age_ranges.platform_age_range,
        genders.platform_gender,
        age_ranges.age_bucket,
        genders.gender,
        snapshots._extracted_at
    from snapshots
    cross join age_ranges
    cross join genders

),

-- a value outside the mapping keeps its row with a NULL bucket (and fails its test)
joined as (

    select
        coalesce(grid.account_id, served.account_id) as account_id,
        'instagram' as platform,
        coalesce(grid.snapshot_date, served.snapshot_date) as snapshot_date,
        coalesce(grid.audience, served.audience) as audience,
        coalesce(grid.age_bucket, served.age_bucket) as age_bucket,
        coalesce(grid.gender, served.gender) as gender,
        coalesce(grid.platform_age_range, served.platform_age_range) as platform_age_range,
        coalesce(grid.platform_gender, served.platform_gender) as platform_gender,
        served.audience_count,
        served.audience_count is null as is_withheld,
        coalesce(grid._extracted_at, served._extracted_at) as _extracted_at
    from grid
    full outer join served
        on grid.account_id = served.account_id
        and grid.audience = served.audience
        and grid.snapshot_date = served.snapshot_date
        and grid.age_bucket = served.age_bucket
        and grid.gender = served.gender

),

final as (

    select * from joined

)

select * from final
