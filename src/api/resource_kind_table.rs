// The one table of File Store resource kinds: value, core variant, C name, upload endpoint
// (docs/rest-api.md, "File Store"), content type of the upload, file name extension that selects
// it (empty: any other name, a data file), and the documentation the header carries. Expanded by
// `resource_kind_table!` in src/api/filestore.rs (`ResourceKind`) and by build.rs (the C enum
// `wf_resource_kind`, whose 0 means "from the file name").
resource_kind_table! {
    1 DataFile WF_RESOURCE_DATA_FILE "DataFile" "application/octet-stream" "" "A data file (any name without one of the extensions below).";
    2 DataMapping WF_RESOURCE_DATA_MAPPING "DataMiningConfig" "application/octet-stream" ".ol-datamapper" "A data mapping configuration (.OL-datamapper).";
    3 Template WF_RESOURCE_TEMPLATE "template" "application/zip" ".ol-template" "A template (.OL-template).";
    4 JobPreset WF_RESOURCE_JOB_PRESET "JobCreationConfig" "application/xml" ".ol-jobpreset" "A job creation preset (.OL-jobpreset).";
    5 OutputPreset WF_RESOURCE_OUTPUT_PRESET "OutputCreationConfig" "application/xml" ".ol-outputpreset" "An output creation preset (.OL-outputpreset).";
}
